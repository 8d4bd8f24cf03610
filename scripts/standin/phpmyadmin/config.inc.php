<?php
/**
 * devstack stand-in for the official phpmyadmin image: its config.inc.php,
 * which reads the environment on every request, so one image serves any stack.
 *
 *   PMA_HOST (default db), PMA_PORT (default 3306), PMA_VERBOSE, or lists:
 *   PMA_HOSTS, PMA_PORTS, PMA_VERBOSES (comma-separated); PMA_SOCKET(S);
 *   PMA_ARBITRARY=1 (a server field on the login form);
 *   PMA_USER/PMA_PASSWORD (config authentication, no login form);
 *   PMA_ABSOLUTE_URI (behind a reverse proxy, e.g. http://localhost/phpmyadmin/);
 *   PMA_CONTROLHOST, PMA_CONTROLPORT, PMA_CONTROLUSER, PMA_CONTROLPASS, PMA_PMADB,
 *   PMA_QUERYHISTORYDB, PMA_QUERYHISTORYMAX, PMA_UPLOADDIR, PMA_SAVEDIR,
 *   MAX_EXECUTION_TIME, MEMORY_LIMIT.
 * /etc/phpmyadmin/config.user.inc.php and /etc/phpmyadmin/conf.d/*.php are
 * included last and may override anything.
 */

/* mod_php leaves $_ENV empty (variables_order GPCS): copy what is set. */
$vars = [
    'PMA_ARBITRARY', 'PMA_HOST', 'PMA_HOSTS', 'PMA_VERBOSE', 'PMA_VERBOSES', 'PMA_PORT', 'PMA_PORTS',
    'PMA_SOCKET', 'PMA_SOCKETS', 'PMA_USER', 'PMA_PASSWORD', 'PMA_ABSOLUTE_URI', 'PMA_CONTROLHOST',
    'PMA_CONTROLPORT', 'PMA_PMADB', 'PMA_CONTROLUSER', 'PMA_CONTROLPASS', 'PMA_QUERYHISTORYDB',
    'PMA_QUERYHISTORYMAX', 'PMA_SAVEDIR', 'PMA_UPLOADDIR', 'MAX_EXECUTION_TIME', 'MEMORY_LIMIT',
];
foreach ($vars as $var) {
    $env = getenv($var);
    if (! isset($_ENV[$var]) && $env !== false) {
        $_ENV[$var] = $env;
    }
}

/* Written by docker-entrypoint.sh, one per container. */
if (file_exists('/etc/phpmyadmin/config.secret.inc.php')) {
    require '/etc/phpmyadmin/config.secret.inc.php';
}

if (isset($_ENV['PMA_QUERYHISTORYDB'])) {
    $cfg['QueryHistoryDB'] = (bool) $_ENV['PMA_QUERYHISTORYDB'];
}
if (isset($_ENV['PMA_QUERYHISTORYMAX'])) {
    $cfg['QueryHistoryMax'] = (int) $_ENV['PMA_QUERYHISTORYMAX'];
}

if (isset($_ENV['PMA_ARBITRARY']) && $_ENV['PMA_ARBITRARY'] === '1') {
    $cfg['AllowArbitraryServer'] = true;
}

/* Behind a reverse proxy at a sub-path, redirects must use the public URL. */
if (isset($_ENV['PMA_ABSOLUTE_URI'])) {
    $cfg['PmaAbsoluteUri'] = trim($_ENV['PMA_ABSOLUTE_URI']);
}

/* The server of a linked or same-network container called "db" by default. */
$hosts = ['db'];
$verbose = [];
$ports = [];
$sockets = [];
if (! empty($_ENV['PMA_HOST'])) {
    $hosts = [$_ENV['PMA_HOST']];
    $verbose = [$_ENV['PMA_VERBOSE'] ?? ''];
    $ports = [$_ENV['PMA_PORT'] ?? ''];
} elseif (! empty($_ENV['PMA_HOSTS'])) {
    $hosts = array_map('trim', explode(',', $_ENV['PMA_HOSTS']));
    $verbose = array_map('trim', explode(',', $_ENV['PMA_VERBOSES'] ?? ''));
    $ports = array_map('trim', explode(',', $_ENV['PMA_PORTS'] ?? ''));
} elseif (! empty($_ENV['PMA_PORT'])) {
    $ports = [$_ENV['PMA_PORT']];
}
if (! empty($_ENV['PMA_SOCKET'])) {
    $sockets = [$_ENV['PMA_SOCKET']];
} elseif (! empty($_ENV['PMA_SOCKETS'])) {
    $sockets = array_map('trim', explode(',', $_ENV['PMA_SOCKETS']));
}
/* Sockets only: no default TCP server. */
if ($sockets && empty($_ENV['PMA_HOST']) && empty($_ENV['PMA_HOSTS'])) {
    $hosts = [];
}

/* A closure, not a function: this file may be read more than once. */
$serverCommon = static function (array $server): array {
    if (isset($_ENV['PMA_USER'])) {
        $server['auth_type'] = 'config';
        $server['user'] = $_ENV['PMA_USER'];
        $server['password'] = $_ENV['PMA_PASSWORD'] ?? '';
    } else {
        $server['auth_type'] = 'cookie';
    }
    if (isset($_ENV['PMA_PMADB'])) {
        $server['pmadb'] = $_ENV['PMA_PMADB'];
        $server['relation'] = 'pma__relation';
        $server['table_info'] = 'pma__table_info';
        $server['table_coords'] = 'pma__table_coords';
        $server['pdf_pages'] = 'pma__pdf_pages';
        $server['column_info'] = 'pma__column_info';
        $server['bookmarktable'] = 'pma__bookmark';
        $server['history'] = 'pma__history';
        $server['recent'] = 'pma__recent';
        $server['favorite'] = 'pma__favorite';
        $server['table_uiprefs'] = 'pma__table_uiprefs';
        $server['tracking'] = 'pma__tracking';
        $server['userconfig'] = 'pma__userconfig';
        $server['users'] = 'pma__users';
        $server['usergroups'] = 'pma__usergroups';
        $server['navigationhiding'] = 'pma__navigationhiding';
        $server['savedsearches'] = 'pma__savedsearches';
        $server['central_columns'] = 'pma__central_columns';
        $server['designer_settings'] = 'pma__designer_settings';
        $server['export_templates'] = 'pma__export_templates';
    }
    if (isset($_ENV['PMA_CONTROLHOST'])) {
        $server['controlhost'] = $_ENV['PMA_CONTROLHOST'];
    }
    if (isset($_ENV['PMA_CONTROLPORT'])) {
        $server['controlport'] = $_ENV['PMA_CONTROLPORT'];
    }
    if (isset($_ENV['PMA_CONTROLUSER'])) {
        $server['controluser'] = $_ENV['PMA_CONTROLUSER'];
    }
    if (isset($_ENV['PMA_CONTROLPASS'])) {
        $server['controlpass'] = $_ENV['PMA_CONTROLPASS'];
    }
    $server['compress'] = false;
    $server['AllowNoPassword'] = true;
    return $server;
};

$i = 0;
foreach ($hosts as $n => $host) {
    $i++;
    $server = ['host' => $host];
    if (isset($verbose[$n]) && $verbose[$n] !== '') {
        $server['verbose'] = $verbose[$n];
    }
    if (isset($ports[$n]) && $ports[$n] !== '') {
        $server['port'] = $ports[$n];
    }
    $cfg['Servers'][$i] = $serverCommon($server);
}
foreach ($sockets as $socket) {
    $i++;
    $cfg['Servers'][$i] = $serverCommon(['socket' => $socket, 'host' => 'localhost']);
}

$cfg['UploadDir'] = $_ENV['PMA_UPLOADDIR'] ?? '';
$cfg['SaveDir'] = $_ENV['PMA_SAVEDIR'] ?? '';
if (isset($_ENV['MAX_EXECUTION_TIME'])) {
    $cfg['ExecTimeLimit'] = (int) $_ENV['MAX_EXECUTION_TIME'];
}
if (isset($_ENV['MEMORY_LIMIT'])) {
    $cfg['MemoryLimit'] = $_ENV['MEMORY_LIMIT'];
}
/* Debian's writable cache and upload directory. */
$cfg['TempDir'] = '/var/lib/phpmyadmin/tmp';

if (file_exists('/etc/phpmyadmin/config.user.inc.php')) {
    include '/etc/phpmyadmin/config.user.inc.php';
}
foreach (glob('/etc/phpmyadmin/conf.d/*.php') ?: [] as $filename) {
    include $filename;
}
