-- The input tables of the transforms golden fixture's join-orders transform: the same rows as ../spark/shop-inputs.sql.
CREATE SCHEMA stg_shop;
CREATE TABLE stg_shop.orders_raw (event_timestamp TIMESTAMP, order_id VARCHAR, amount DECIMAL(10,2)) AS VALUES (TIMESTAMP '2026-01-01 00:00:00', 'c1', 12.50), (TIMESTAMP '2026-01-02 00:00:00', 'c2', 3.00);
CREATE TABLE stg_shop.customers (event_timestamp TIMESTAMP, customer_id VARCHAR, region VARCHAR) AS VALUES (TIMESTAMP '2026-01-01 00:00:00', 'c1', 'eu'), (TIMESTAMP '2026-01-01 00:00:00', 'c2', '')
