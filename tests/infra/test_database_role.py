"""Issue 19, least privilege in the database: the API's functions log in as cakap_fn (a second generated
secret), and only lks-fn-db-owner, which no API route reaches, holds the master credentials; it creates
that role and every vector index the functions need, so they never need DDL."""

from __future__ import annotations

import json
import re

from cfn_model import ROOT, resources, stacks, template

API = "us-east-1/api.yaml"
DATABASE = "us-east-1/database.yaml"
REGISTRY = ROOT / "Sources" / "CakapSettings" / "Settings.swift"
# What would break a password inside a libpq keyword/value string, a postgres:// URL or a SQL literal.
UNSAFE_IN_A_PASSWORD = set("'\"\\ @/:;?#%&")


def secret_of(value: dict) -> str:
    """`${X}` of a `{{resolve:secretsmanager:${X}:SecretString:key}}` value."""
    return re.fullmatch(r"\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString:\w+\}\}", value["Fn::Sub"]).group(1)


def test_issue_19_a_second_secret_for_the_functions_role() -> None:
    """cakap_fn's secret is generated like the master's (32+ characters, nothing that needs quoting), encrypted
    and skipped for checkov the same way, and exported to the api stack through stacks.json."""
    doc = template(DATABASE)
    secrets = resources(doc, "AWS::SecretsManager::Secret")
    master, functions = secrets["DatabaseSecret"], secrets["FunctionsDatabaseSecret"]
    generated = functions["Properties"]["GenerateSecretString"]
    assert json.loads(generated["SecretStringTemplate"]) == {"username": "cakap_fn"}
    assert generated["GenerateStringKey"] == "password" and generated["PasswordLength"] >= 32
    assert UNSAFE_IN_A_PASSWORD <= set(generated["ExcludeCharacters"])
    skips = lambda secret: {s["id"] for s in secret["Metadata"]["checkov"]["skip"]}  # noqa: E731
    assert skips(functions) == skips(master)
    assert {k: v for k, v in functions["Properties"].items() if k not in ("Name", "Description", "GenerateSecretString", "Tags")} == \
        {k: v for k, v in master["Properties"].items() if k not in ("Name", "Description", "GenerateSecretString", "Tags")}  # fmt: skip
    assert doc["Outputs"]["FunctionsDatabaseSecretArn"]["Value"] == {"Ref": "FunctionsDatabaseSecret"}
    (api,) = [s for s in stacks() if s["name"] == "lks-api"]
    assert api["parameters"]["FunctionsDatabaseSecretArn"] == {"stack": "lks-database", "output": "FunctionsDatabaseSecretArn"}


def test_issue_19_only_the_owner_function_holds_the_master_credentials() -> None:
    """The functions behind API routes use cakap_fn's secret; the master secret is named only by lks-fn-db-owner,
    which has no route or invoke permission, the conversations zip, the same VPC, and the role's credentials as
    DB_APP_USER/DB_APP_PASSWORD. Before the fix both API functions resolved the master secret."""
    doc = template(API)
    functions = resources(doc, "AWS::Lambda::Function")
    owner = functions["OwnerFunction"]["Properties"]
    routed = {k: f["Properties"] for k, f in functions.items() if k != "OwnerFunction"}
    assert set(routed) == {"ConversationsFunction", "TutorFunction"}
    for logical, props in routed.items():
        env = props["Environment"]["Variables"]
        assert {secret_of(env["DB_USER"]), secret_of(env["DB_PASSWORD"])} == {"FunctionsDatabaseSecretArn"}, logical
        assert "${DatabaseSecretArn}" not in json.dumps(props), logical
        assert "DB_APP_PASSWORD" not in env
    env = owner["Environment"]["Variables"]
    assert owner["FunctionName"] == "lks-fn-db-owner" and env["CAKAP_FUNCTION"] == "owner"
    assert {secret_of(env["DB_USER"]), secret_of(env["DB_PASSWORD"])} == {"DatabaseSecretArn"}
    assert env["DB_APP_USER"]["Fn::Sub"].endswith("${FunctionsDatabaseSecretArn}:SecretString:username}}")
    assert env["DB_APP_PASSWORD"]["Fn::Sub"].endswith("${FunctionsDatabaseSecretArn}:SecretString:password}}")
    conversations = routed["ConversationsFunction"]
    assert owner["Code"] == conversations["Code"] and owner["VpcConfig"] == conversations["VpcConfig"]
    assert 30 <= owner["Timeout"] <= 120
    for key in ("DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "DB_SSLROOTCERT"):
        assert env[key] == conversations["Environment"]["Variables"][key], key
    # No route, integration or permission reaches it: only cakap aws deploy invokes it.
    others = {k: v for k, v in doc["Resources"].items() if k != "OwnerFunction"}
    assert "OwnerFunction" not in json.dumps(others)
    assert doc["Outputs"]["OwnerFunctionName"]["Value"] == {"Ref": "OwnerFunction"}


def test_issue_19_the_owner_creates_the_vector_index_of_every_function() -> None:
    """A function logging in as cakap_fn cannot CREATE INDEX, so the owner makes the index of each function's
    embedding model (the conversations' nomic-embed-text, the tutor's all-minilm)."""
    defaults = dict(re.findall(r'Setting\(\s*"(CAKAP_EMBED_MODEL)", default: "([^"]+)"', REGISTRY.read_text()))
    functions = resources(template(API), "AWS::Lambda::Function")
    owner = functions.pop("OwnerFunction")["Properties"]["Environment"]["Variables"]
    indexed = {m.strip() for m in owner["CAKAP_OWNER_EMBED_MODELS"].split(",")} | {owner.get("CAKAP_EMBED_MODEL", defaults["CAKAP_EMBED_MODEL"])}
    for logical, function in functions.items():
        env = function["Properties"]["Environment"]["Variables"]
        if "DB_HOST" in env:
            assert env.get("CAKAP_EMBED_MODEL", defaults["CAKAP_EMBED_MODEL"]) in indexed, logical
