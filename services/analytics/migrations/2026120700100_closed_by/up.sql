-- Who closed a case (its handler then): staff performance's median resolution time counts a
-- closing for whoever its `cases_closed` counts it for, even after a reassignment. Cases closed
-- before this fall back to their current handler.
ALTER TABLE cases ADD COLUMN closed_by UUID;
