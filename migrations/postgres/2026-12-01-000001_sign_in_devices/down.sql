DROP INDEX login_attempts_device;
ALTER TABLE login_attempts DROP COLUMN device;
