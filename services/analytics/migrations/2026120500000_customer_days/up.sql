-- Each customer's shipments and freight spend per UTC day, from `shipment.created`, so the
-- segments sum the trailing 12 months as of the moment they are asked (a day leaves the
-- window when it is more than 12 months old). The 12-month spend `customer.tier_changed`
-- carried was only as fresh as the last tier change, and never sent for a customer whose
-- tier stays the same: it is no longer kept.
CREATE TABLE customer_days (
    customer_id     UUID NOT NULL,
    day             DATE NOT NULL,
    shipments       BIGINT NOT NULL DEFAULT 0,
    spend_minor     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, day)
);
CREATE INDEX customer_days_day ON customer_days (day);

-- The shipments already counted (their freight was not kept: it counts from now on).
INSERT INTO customer_days (customer_id, day, shipments)
SELECT customer_id, (bucket AT TIME ZONE 'UTC')::date, SUM(shipments)
FROM customer_activity GROUP BY 1, 2;

ALTER TABLE customers DROP COLUMN spend_12m_minor;
