-- Nothing to undo: the spaces and the case the normalisation removed were noise, and the code
-- before it reads normalised places as well as any others.
SELECT 1;
