-- The input tables of the transforms golden fixture's join-orders transform, with two rows each.
CREATE NAMESPACE IF NOT EXISTS stg_shop;
CREATE NAMESPACE IF NOT EXISTS shop;
CREATE TABLE stg_shop.orders_raw (event_timestamp TIMESTAMP, order_id STRING, amount DECIMAL(10,2)) USING iceberg;
CREATE TABLE stg_shop.customers (event_timestamp TIMESTAMP, customer_id STRING, region STRING) USING iceberg;
INSERT INTO stg_shop.orders_raw VALUES (TIMESTAMP '2026-01-01 00:00:00', 'c1', 12.50), (TIMESTAMP '2026-01-02 00:00:00', 'c2', 3.00);
INSERT INTO stg_shop.customers VALUES (TIMESTAMP '2026-01-01 00:00:00', 'c1', 'eu'), (TIMESTAMP '2026-01-01 00:00:00', 'c2', '')
