DROP TABLE merge_moves;
