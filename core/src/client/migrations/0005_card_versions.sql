-- Replaced cards (lost or stolen) pulled from the server: their current
-- version. A printed code of an earlier version is refused offline.
CREATE TABLE card_versions (
    card_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version >= 1)
);
