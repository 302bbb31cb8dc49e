DROP TABLE sla_policies;
DROP TABLE shipment_projection;
DROP TABLE complaint_history;
DROP TABLE complaint_numbers;
DROP TABLE complaints;
