<?php
// Adminer as the official image serves it: ADMINER_DEFAULT_SERVER fills in the
// login form's server, ADMINER_DESIGN picks a stylesheet of designs/.
namespace devstack {
    function adminer_object()
    {
        class Adminer extends \Adminer
        {
            public function loginFormField($name, $heading, $value)
            {
                $server = getenv('ADMINER_DEFAULT_SERVER');
                if ($name === 'server' && $server !== false && $server !== '') {
                    $value = str_replace('value=""', 'value="' . htmlspecialchars($server, ENT_QUOTES) . '"', $value);
                }
                return parent::loginFormField($name, $heading, $value);
            }

            public function css()
            {
                $design = getenv('ADMINER_DESIGN');
                if ($design !== false && $design !== '' && is_readable("designs/$design/adminer.css")) {
                    return ["designs/$design/adminer.css"];
                }
                return parent::css();
            }
        }

        return new Adminer();
    }
}

namespace {
    function adminer_object()
    {
        return \devstack\adminer_object();
    }

    require 'adminer.php';
}
