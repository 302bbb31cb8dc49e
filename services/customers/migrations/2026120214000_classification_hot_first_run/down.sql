ALTER TABLE customers SET (fillfactor = 80);
