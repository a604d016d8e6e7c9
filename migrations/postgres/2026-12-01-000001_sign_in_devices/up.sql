-- A sign-in from a browser that has signed in before carries that browser's
-- device id; its failures count against the device, not against the name.
ALTER TABLE login_attempts ADD COLUMN device TEXT;
CREATE INDEX login_attempts_device ON login_attempts (device, created_at);
