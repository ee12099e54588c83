"""The API with clients nobody here wrote, over real HTTP to gunicorn (as deployed behind nginx).

curl and Node's own ``http`` (chunked request bodies), Python's
``xmlrpc.client`` (gzip bodies, ISO-8859-1 documents), Perl's RPC::XML over
LWP with ``credentials()`` (credentials sent only after a challenge), Ruby's
xmlrpc and PHP's xmlrpc extension. A client that is not installed skips the
test naming its Debian package (``make install-test`` installs them), and
fails under ``ASTITRAY_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import xmlrpc.client
from collections.abc import Iterator
from typing import Any, cast

import pytest

from testkit.known_secrets import CLIENTS_PASSWORD
from testkit.liveserver import LiveServer
from testkit.services import require

USER = "carla"
PASSWORD = CLIENTS_PASSWORD
SETUP = f"""
from django.contrib.auth.models import User
from phonebook.models import Contact
User.objects.create_user({USER!r}, password={PASSWORD!r}, first_name="Carla")
Contact.objects.create(name="Jürgen Müller")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(workers=1, env={"ASTITRAY_AUTH_CACHE_SECONDS": "0"}) as live:
        live.manage("shell", "-c", SETUP)
        yield live


def rpc_url(server: LiveServer, credentials: bool = False) -> str:
    return server.url.replace("//", f"//{USER}:{PASSWORD}@" if credentials else "//") + "/rpc/"


def program(name: str, package: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (Debian package {package})")
    return str(path)


def run(command: list[str], stdin: str = "") -> str:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def whoami_body() -> str:
    return xmlrpc.client.dumps((), "accounts.whoami")


def username_of(answer: str) -> Any:
    (result,), _ = xmlrpc.client.loads(answer.encode())
    return cast(dict, result)["username"]


# --- Chunked request bodies -------------------------------------------------------------------


def test_curl_with_a_chunked_body(server):
    curl = program("curl", "curl")
    answer = run(
        [curl, "-sS", "-u", f"{USER}:{PASSWORD}", "-H", "Content-Type: text/xml",
         "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", f"{server.url}/rpc/"],
        stdin=whoami_body(),
    )  # fmt: skip
    assert username_of(answer) == USER


NODE_CHUNKED = """
const http = require("http");
const [url, user, password, body] = process.argv.slice(1);
// No Content-Length: Node streams the body in chunks (Transfer-Encoding: chunked).
const request = http.request(url, {method: "POST", auth: `${user}:${password}`,
                                   headers: {"Content-Type": "application/json"}}, (response) => {
  let text = ""; response.setEncoding("utf8");
  response.on("data", (part) => text += part);
  response.on("end", () => process.stdout.write(JSON.stringify(
    {status: response.statusCode, chunked: request.chunkedEncoding, body: JSON.parse(text)})));
});
for (const part of [body.slice(0, 10), body.slice(10)]) request.write(part);
request.end();
"""


def test_nodes_streaming_request_is_chunked_and_read(server):
    node = program("node", "nodejs")
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "accounts.whoami", "params": []})
    answer = json.loads(run([node, "-e", NODE_CHUNKED, f"{server.url}/rpc/", USER, PASSWORD, body]))
    assert answer["chunked"] is True
    assert answer["status"] == 200
    assert answer["body"]["result"]["username"] == USER


def test_a_chunked_body_over_the_limit_is_refused(server):
    curl = program("curl", "curl")
    huge = whoami_body().replace("<params>", "<params>" + " " * 300_000)
    answer = run(
        [curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/xml",
         "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", f"{server.url}/rpc/"],
        stdin=huge,
    )  # fmt: skip
    assert answer == "413"


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_a_missing_or_unknown_content_type_is_one_answer_under_gunicorn(server, content_type):
    # gunicorn passes no CONTENT_TYPE at all when the header is missing (runserver: text/plain).
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request("POST", "/rpc/", body=whoami_body().encode(), headers=headers)
        answer = connection.getresponse()
        status, body = answer.status, answer.read()
    finally:
        connection.close()
    assert status == 415
    assert body.startswith(b"Unsupported Content-Type: send XML-RPC as text/xml")


# --- Compressed bodies, declared encodings ------------------------------------------------------


def test_pythons_xmlrpc_client_with_gzip_bodies(server):
    proxy: Any = xmlrpc.client.ServerProxy(rpc_url(server, credentials=True))
    transport = proxy("transport")
    transport.encode_threshold = 0  # every request body gzip-compressed (Content-Encoding: gzip)
    assert proxy.accounts.whoami()["username"] == USER
    assert [contact["name"] for contact in proxy.phonebook.search("Jürgen")] == ["Jürgen Müller"]


def test_pythons_xmlrpc_client_with_iso_8859_1_documents(server):
    proxy: Any = xmlrpc.client.ServerProxy(rpc_url(server, credentials=True), encoding="iso-8859-1")
    assert [contact["name"] for contact in proxy.phonebook.search("Müller")] == ["Jürgen Müller"]


# --- Credentials sent only after a challenge ----------------------------------------------------

PERL_CHALLENGED = """
use strict; use warnings;
use RPC::XML::Client;
my ($url, $user, $password) = @ARGV;
my $client = RPC::XML::Client->new($url);
# LWP sends these only once the server has asked (HTTP 401 with a Basic challenge).
$client->credentials("Astitray", $user, $password);
my $answer = $client->send_request("accounts.whoami");
die ref($answer) ? $answer->value->{faultString} : $answer unless ref($answer) && !$answer->is_fault;
print $answer->value->{username}, "\\n";
"""


def test_perl_lwp_sends_its_credentials_after_the_challenge(server):
    perl = program("perl", "perl")
    require(
        subprocess.run([perl, "-MRPC::XML::Client", "-e", "1"], capture_output=True).returncode == 0,
        "Perl's RPC::XML is not installed (Debian package librpc-xml-perl)",
    )
    assert run([perl, "-e", PERL_CHALLENGED, f"{server.url}/rpc/", USER, PASSWORD]).strip() == USER


RUBY_CLIENT = """
require "xmlrpc/client"
url, user, password = ARGV
client = XMLRPC::Client.new2(url)
client.user = user
client.password = password
puts client.call("accounts.whoami")["username"]
puts client.call("phonebook.search", "Müller").map { |contact| contact["name"] }.join(",")
"""


def test_rubys_xmlrpc_client(server):
    ruby = program("ruby", "ruby")
    require(
        subprocess.run([ruby, "-e", 'require "xmlrpc/client"'], capture_output=True).returncode == 0,
        "Ruby's xmlrpc is not installed (Debian package ruby-xmlrpc)",
    )
    assert run([ruby, "-e", RUBY_CLIENT, f"{server.url}/rpc/", USER, PASSWORD]).split() == [
        USER,
        "Jürgen",
        "Müller",
    ]


PHP_CLIENT = """
[, $url, $user, $password] = $argv;
$call = function ($method, $params) use ($url, $user, $password) {
    $context = stream_context_create(["http" => ["method" => "POST", "ignore_errors" => true,
        "header" => "Content-Type: text/xml\\r\\nAuthorization: Basic " . base64_encode("$user:$password"),
        "content" => xmlrpc_encode_request($method, $params, ["encoding" => "UTF-8"])]]);
    return xmlrpc_decode(file_get_contents($url, false, $context), "UTF-8");
};
echo $call("accounts.whoami", [])["username"], "\\n";
echo json_encode($call("system.methodSignature", ["phonebook.search"])), "\\n";
"""


def test_phps_xmlrpc_extension(server):
    php = program("php", "php-cli")
    require(
        "xmlrpc" in run([php, "-m"]).split(),
        "PHP's xmlrpc extension is not installed (Debian package php-xmlrpc)",
    )
    username, signature = run([php, "-r", PHP_CLIENT, f"{server.url}/rpc/", USER, PASSWORD]).split()
    assert username == USER
    assert json.loads(signature) == [["array", "string", "int"]]


PERL_DIGITS = """
use strict; use warnings;
use RPC::XML; use RPC::XML::Client;
my ($url, $user, $password) = @ARGV;
my $client = RPC::XML::Client->new($url);
$client->credentials("Astitray", $user, $password);
for my $number ("0142685300", RPC::XML::string->new("0142685300")) {
    my $answer = $client->send_request("phonebook.lookup", $number);
    print $answer->is_fault ? "fault " . $answer->code : "struct", "\\n";
}
"""


def test_perl_sends_digits_as_int_unless_told_and_no_zero_is_guessed(server):
    """RPC::XML sends "0142685300" as <int>142685300</int>: refused, never dialed as 142685300."""
    perl = program("perl", "perl")
    require(
        subprocess.run([perl, "-MRPC::XML::Client", "-e", "1"], capture_output=True).returncode == 0,
        "Perl's RPC::XML is not installed (Debian package librpc-xml-perl)",
    )
    output = run([perl, "-e", PERL_DIGITS, f"{server.url}/rpc/", USER, PASSWORD]).splitlines()
    assert output == ["fault -32602", "struct"]  # as docs/api.md says: RPC::XML::string forces a string
