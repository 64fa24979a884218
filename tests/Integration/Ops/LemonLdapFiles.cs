using System.Text.Json;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// The private configuration of one LemonLDAP::NG instance, all under its own temp directory: an ini of our
/// own (found through <c>LLNG_DEFAULTCONFFILE</c>, so nothing in /etc/lemonldap-ng is read or written), a File
/// configuration backend with a first <c>lmConf-1.json</c>, session directories, and an nginx configuration
/// adapted from the package's <c>/etc/lemonldap-ng/portal-nginx.conf</c>.
/// </summary>
internal static class LemonLdapFiles
{
    /// <summary>
    /// No <c>localStorage</c> (the package's ini has a Cache::FileCache there): with it the workers read the
    /// configuration from that cache "without verification" and never see a rotated key; without it they
    /// read the File backend every <c>checkTime</c> (1 s) and pick up a new key within about a second.
    /// The [manager] section is what lemonldap-ng-cli needs to edit the configuration.
    /// </summary>
    public static string Ini(string root) => $"""
        [all]
        logLevel = warn
        checkTime = 1

        [configuration]
        type = File
        dirName = {root}/conf

        [portal]
        staticPrefix = /static
        templateDir = /usr/share/lemonldap-ng/portal/templates
        languages = en

        [handler]
        status = 0

        [manager]
        protection = none
        staticPrefix = /static
        templateDir = /usr/share/lemonldap-ng/manager/htdocs/templates
        languages = en
        enabledModules = conf
        """;

    /// <summary>
    /// The first configuration: the Demo backend (users dwho, rtyler, msmith, password = login), the OpenID
    /// Connect issuer on, the portal (and so the issuer) at the counting proxy's URL. The macro
    /// <c>rpUser</c> maps the Demo users back to the scenario users the RP expects as <c>sub</c>.
    /// </summary>
    public static string FirstConfiguration(string root, string portal) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["cfgNum"] = 1,
        ["cfgAuthor"] = "OidcRp tests",
        ["cfgDate"] = "1700000000",
        ["cfgVersion"] = "2.16.1",
        ["authentication"] = "Demo",
        ["userDB"] = "Same",
        ["passwordDB"] = "Demo",
        ["registerDB"] = "Demo",
        ["demoExportedVars"] = new Dictionary<string, string> { ["cn"] = "cn", ["mail"] = "mail", ["uid"] = "uid" },
        ["domain"] = "127.0.0.1",
        ["portal"] = portal,
        ["cookieName"] = "llng",
        ["securedCookie"] = 0,
        ["globalStorage"] = "Apache::Session::File",
        ["globalStorageOptions"] = new Dictionary<string, string>
        {
            ["Directory"] = $"{root}/sessions",
            ["LockDirectory"] = $"{root}/sessions/lock",
            ["generateModule"] = "Lemonldap::NG::Common::Apache::Session::Generate::SHA256",
        },
        ["persistentStorage"] = "Apache::Session::File",
        ["persistentStorageOptions"] = new Dictionary<string, string> { ["Directory"] = $"{root}/psessions", ["LockDirectory"] = $"{root}/psessions/lock" },
        ["localSessionStorage"] = "Cache::FileCache",
        ["localSessionStorageOptions"] = new Dictionary<string, object>
        {
            ["cache_depth"] = 3, ["cache_root"] = $"{root}/cache", ["default_expires_in"] = 600, ["namespace"] = "lemonldap-ng-sessions",
        },
        ["locationRules"] = new Dictionary<string, object> { ["127.0.0.1"] = new Dictionary<string, string> { ["default"] = "accept" } },
        ["macros"] = new Dictionary<string, string>
        {
            ["_whatToTrace"] = "$uid",
            ["rpUser"] = string.Join(" : ", LemonLdapOp.Users.Select(u => $"$uid eq '{u.Value}' ? '{u.Key}'")) + " : $uid",
        },
        ["whatToTrace"] = "_whatToTrace",
        ["timeout"] = 72000,
        ["notification"] = 0,
        ["loginHistoryEnabled"] = 0,
        ["issuerDBOpenIDConnectActivation"] = 1,
        ["oidcServiceIgnoreScopeForClaims"] = 1,
    });

    /// <summary>The RP's client as lemonldap-ng-cli <c>addKey</c> triples (root key, key, value).</summary>
    public static IEnumerable<string> ClientKeys(string name, OpClient client)
    {
        var options = $"oidcRPMetaDataOptions/{name}";
        var claims = $"oidcRPMetaDataExportedVars/{name}";
        string[][] triples =
        [
            [options, "oidcRPMetaDataOptionsClientID", $"{name}-client"],
            [options, "oidcRPMetaDataOptionsClientSecret", $"{name}-secret-value"],
            [options, "oidcRPMetaDataOptionsPublic", "0"],
            [options, "oidcRPMetaDataOptionsRedirectUris", string.Join(' ', client.RedirectUris)],
            [options, "oidcRPMetaDataOptionsPostLogoutRedirectUris", string.Join(' ', client.PostLogoutRedirectUris)],
            [options, "oidcRPMetaDataOptionsIDTokenSignAlg", "RS256"],
            [options, "oidcRPMetaDataOptionsRequirePKCE", "1"],
            [options, "oidcRPMetaDataOptionsBypassConsent", "1"],
            [options, "oidcRPMetaDataOptionsLogoutBypassConfirm", "1"],
            [options, "oidcRPMetaDataOptionsUserIDAttr", "rpUser"],
            // API access tokens: the client-credentials grant, JWT access tokens (signed with the OIDC key) for the API too.
            [options, "oidcRPMetaDataOptionsAllowClientCredentialsGrant", "1"],
            [options, "oidcRPMetaDataOptionsAccessTokenJWT", "1"],
            [options, "oidcRPMetaDataOptionsAccessTokenSignAlg", "RS256"],
            [options, "oidcRPMetaDataOptionsAdditionalAudiences", AccessTokens.Audience],
            // Scopes openid profile email: LemonLDAP releases the claims of the scopes asked for these.
            [claims, "email", "mail"],
            [claims, "name", "cn"],
            [claims, "preferred_username", "rpUser"],
        ];
        return triples.SelectMany(t => t);
    }

    /// <summary>nginx in the foreground on a loopback port, everything (pid, logs, temp paths) in the instance's directory.</summary>
    public static string Nginx(string root, int port) => $$"""
        daemon off;
        worker_processes 1;
        pid {{root}}/nginx/nginx.pid;
        error_log {{root}}/nginx/error.log warn;
        events { worker_connections 256; }
        http {
          access_log off;
          client_body_temp_path {{root}}/nginx/body;
          fastcgi_temp_path {{root}}/nginx/fastcgi;
          proxy_temp_path {{root}}/nginx/proxy;
          uwsgi_temp_path {{root}}/nginx/uwsgi;
          scgi_temp_path {{root}}/nginx/scgi;
          include /etc/nginx/mime.types;
          server {
            listen 127.0.0.1:{{port}};
            root /usr/share/lemonldap-ng/portal/htdocs/;
            if ($uri !~ ^/((static|javascript|favicon).*|.*\.psgi)) {
              rewrite ^/(.*)$ /index.psgi/$1 break;
            }
            location ~ ^(?<sc>/.*\.psgi)(?:$|/) {
              include /etc/nginx/fastcgi_params;
              fastcgi_pass unix:{{root}}/fcgi.sock;
              fastcgi_param HTTP_HOST $http_host;
              fastcgi_param LLTYPE psgi;
              fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
              fastcgi_split_path_info ^(.*\.psgi)(/.*)$;
              fastcgi_param PATH_INFO $fastcgi_path_info;
            }
            location /static/ { alias /usr/share/lemonldap-ng/portal/htdocs/static/; }
            location /javascript/ { alias /usr/share/javascript/; }
          }
        }
        """;
}
