DROP TABLE merge_repoints;
DROP TABLE customer_merges;
