-- One database per service (each service owns its database; SPEC §1). Runs once, when the
-- postgres-data volume is first initialised. The services run their migrations at start-up.
CREATE DATABASE kuaidi_gateway;
CREATE DATABASE kuaidi_customers;
CREATE DATABASE kuaidi_shipments;
CREATE DATABASE kuaidi_complaints;
CREATE DATABASE kuaidi_analytics;
