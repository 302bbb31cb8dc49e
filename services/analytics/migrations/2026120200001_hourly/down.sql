DROP TABLE kpi_hourly;
