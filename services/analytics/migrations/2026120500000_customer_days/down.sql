ALTER TABLE customers ADD COLUMN spend_12m_minor BIGINT NOT NULL DEFAULT 0;
DROP TABLE customer_days;
