DROP TABLE customer_tenants;
