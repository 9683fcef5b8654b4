-- Twin of SQLite's 0025_region_roles: the Region's roles (admin,
-- instruction, finance); existing Region accounts become administrators.
ALTER TABLE accounts ADD COLUMN region_role TEXT
    CHECK (region_role IS NULL
           OR (role = 'region' AND region_role IN ('admin', 'instruction', 'finance')));
UPDATE accounts SET region_role = 'admin' WHERE role = 'region';
