DROP INDEX customers_birthday_index;
ALTER TABLE customers RENAME COLUMN birthday_index TO birthday_md;
