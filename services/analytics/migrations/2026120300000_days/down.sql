DROP TABLE kpi_days;
