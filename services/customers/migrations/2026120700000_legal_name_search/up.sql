-- `q` finds a business by its company's legal name as it finds anyone by name (SPEC §4
-- search): case- and accent-folded trigrams of `company.legal_name`, beside those of
-- `search_name`. An expression index, not a generated column: the file's rows need no rewrite
-- (names stored before are indexed as it is built), and the classification's updates, which
-- never touch `company`, are not kept from being HOT by it. Partial:
-- `customers_fold(company ->> 'legal_name')` in a query implies `company IS NOT NULL` (the
-- function and `->>` are strict), so the planner uses it, and the files without a company take
-- no room in it.
CREATE INDEX customers_legal_name_trgm ON customers
    USING gin (customers_fold(company ->> 'legal_name') gin_trgm_ops)
    WHERE company IS NOT NULL;
