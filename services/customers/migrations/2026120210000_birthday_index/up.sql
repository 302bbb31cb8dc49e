-- The birthday-care rule finds birthdays through a keyed blind index of 'birthday:MM-DD' (as
-- phones and emails are found), so no part of a birthday is stored in clear (SPEC §4). Rows
-- indexed the old way lose the clear value; their birthdays are indexed on the next edit.
ALTER TABLE customers RENAME COLUMN birthday_md TO birthday_index;
UPDATE customers SET birthday_index = NULL WHERE birthday_index IS NOT NULL;
CREATE INDEX customers_birthday_index ON customers (birthday_index)
    WHERE birthday_index IS NOT NULL;
