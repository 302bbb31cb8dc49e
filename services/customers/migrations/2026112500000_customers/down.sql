DROP TABLE customer_complaints;
DROP TABLE customer_shipment_days;
DROP TABLE customer_identities;
DROP TABLE customers;
