-- Runs once, on the first start of an empty data directory, after the image's
-- entrypoint has created MYSQL_DATABASE and MYSQL_USER (from compose/.env) and
-- granted that user the database. The entrypoint runs this file as root with
-- MYSQL_DATABASE as the default database, so DATABASE() is the app database and
-- the app user is the one holding a grant on it: nothing here repeats the names.

-- The app user, as the entrypoint created it ('_' in a grant's database name is
-- a wildcard, so the entrypoint escapes it: compare unescaped).
SET @app_db = DATABASE();
SET @app_user = (SELECT User FROM mysql.db
                 WHERE REPLACE(Db, '\\_', '_') = @app_db AND User <> 'root' AND User <> ''
                 ORDER BY User LIMIT 1);

-- A second database for the test suite (<app>_test), the app user's too, so
-- tests can create and drop tables without touching development data.
SET @sql = CONCAT('CREATE DATABASE IF NOT EXISTS `', REPLACE(CONCAT(@app_db, '_test'), '`', '``'), '`',
                  ' CHARACTER SET utf8mb4');
PREPARE stmt FROM @sql;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @sql = CONCAT('GRANT ALL PRIVILEGES ON `', REPLACE(REPLACE(CONCAT(@app_db, '_test'), '`', '``'), '_', '\\_'),
                  '`.* TO ''', REPLACE(@app_user, '''', ''''''), '''@''%''');
PREPARE stmt FROM @sql;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

FLUSH PRIVILEGES;
