DROP INDEX IF EXISTS shipments_live_activity;
DROP INDEX IF EXISTS shipments_lane_delivered;
DROP TABLE IF EXISTS tracking_events;
