ALTER TABLE customers RESET (fillfactor);
