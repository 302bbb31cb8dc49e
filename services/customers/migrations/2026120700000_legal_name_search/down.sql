DROP INDEX customers_legal_name_trgm;
