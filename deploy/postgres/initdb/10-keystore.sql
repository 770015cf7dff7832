-- The keystore (wrapped data keys) lives in its own database, apart from the data
-- (CONFIDANT_KEYSTORE_URL). Runs once, when the postgres volume is first initialised.
CREATE DATABASE confidant_keystore OWNER confidant;
