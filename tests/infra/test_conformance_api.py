"""API, functions, identity, database and web requirements (R-API-*, R-FN-*, R-AUTH-*, R-DB-*, R-WEB-1)."""

from __future__ import annotations

from cfn_model import region, resources, stack, stack_parameters, template

API = "us-east-1/api.yaml"


def paths() -> dict[str, str]:
    """Logical id of each API resource -> its full path."""
    doc = template(API)
    found: dict[str, str] = {}
    items = resources(doc, "AWS::ApiGateway::Resource")
    while len(found) < len(items):
        for logical, res in items.items():
            parent = res["Properties"]["ParentId"]
            if "Fn::GetAtt" in parent:
                found[logical] = "/" + res["Properties"]["PathPart"]
            elif parent["Ref"] in found:
                found[logical] = found[parent["Ref"]] + "/" + res["Properties"]["PathPart"]
    return found


def methods() -> list[tuple[str, str, dict]]:
    full = paths()
    return [(full[m["Properties"]["ResourceId"]["Ref"]], m["Properties"]["HttpMethod"], m["Properties"]) for m in resources(template(API), "AWS::ApiGateway::Method").values()]


def test_r_api_1_the_six_conversation_routes_go_to_the_conversations_function() -> None:
    """R-API-1 / R-FN-1: GET, POST, DELETE /conversations/{uid}; GET, PUT, DELETE /conversations/{uid}/{id}; one function.
    Beyond the brief: GET /conversations/{uid}/{id}/similar, to the same function."""
    routes = {(p, verb) for p, verb, props in methods() if p.startswith("/conversations") and verb != "OPTIONS"}
    assert routes == {
        ("/conversations/{uid}", "GET"), ("/conversations/{uid}", "POST"), ("/conversations/{uid}", "DELETE"),
        ("/conversations/{uid}/{id}", "GET"), ("/conversations/{uid}/{id}", "PUT"), ("/conversations/{uid}/{id}", "DELETE"),
        ("/conversations/{uid}/{id}/similar", "GET"),
    }
    for p, verb, props in methods():
        if p.startswith("/conversations") and verb != "OPTIONS":
            assert props["Integration"]["Type"] == "AWS_PROXY"
            assert "ConversationsFunction.Arn" in props["Integration"]["Uri"]["Fn::Sub"]


def test_tutor_routes_post_to_the_tutor_function() -> None:
    """Issue 7 / R-APP-1..5: POST /tutor/feedback, /tutor/score and /tutor/partner go to the tutor function."""
    routes = {(p, verb): props for p, verb, props in methods() if p.startswith("/tutor") and verb != "OPTIONS"}
    assert set(routes) == {("/tutor/feedback", "POST"), ("/tutor/score", "POST"), ("/tutor/partner", "POST")}
    for props in routes.values():
        assert "TutorFunction.Arn" in props["Integration"]["Uri"]["Fn::Sub"]


def test_r_api_2_region_proxies_reach_that_regions_balancer_as_api_paths_through_the_vpc_link() -> None:
    """R-API-2: /us-east-1/{proxy+} and /us-west-2/{proxy+}, GET and POST, to /api/{proxy} on the region's NLB port."""
    ports = {"us-east-1": "ZoneAPort", "us-west-2": "ZoneBPort"}
    found = set()
    for p, verb, props in methods():
        for name, port in ports.items():
            if p == f"/{name}/{{proxy+}}" and verb != "OPTIONS":
                integration = props["Integration"]
                assert integration["Type"] == "HTTP_PROXY" and integration["ConnectionType"] == "VPC_LINK"
                assert integration["Uri"]["Fn::Sub"] == f"http://${{GatewayNlbDnsName}}:${{{port}}}/api/{{proxy}}"
                assert integration["RequestParameters"] == {"integration.request.path.proxy": "method.request.path.proxy"}
                found.add((name, verb))
    assert found == {(r, v) for r in ports for v in ("GET", "POST")}
    params = stack_parameters(stack("lks-api"))
    assert int(params["ZoneAPort"]) == region("us-east-1")["gatewayPort"]
    assert int(params["ZoneBPort"]) == region("us-west-2")["gatewayPort"]
    assert int(stack_parameters(stack("lks-gateway-zone-a"))["ZoneBPort"]) == region("us-west-2")["gatewayPort"]


def test_copy_is_refused_by_the_public_api_in_both_regions() -> None:
    """Issue 9: POST /{region}/copy is a more specific resource than {proxy+}, a MOCK answering 403
    with a JSON error, so a learner cannot rename a model every learner uses (the local edge
    refuses it the same way, tests/security/test_security_paths.py), with API Gateway's {"message"}."""
    copies = {(p, verb): props for p, verb, props in methods() if p.endswith("/copy") and verb != "OPTIONS"}
    assert set(copies) == {("/us-east-1/copy", "POST"), ("/us-west-2/copy", "POST")}
    for props in copies.values():
        integration = props["Integration"]
        assert integration["Type"] == "MOCK"
        assert integration["RequestTemplates"]["application/json"] == '{"statusCode": 403}'
        (answer,) = integration["IntegrationResponses"]
        assert answer["StatusCode"] == "403" and '"message"' in answer["ResponseTemplates"]["application/json"]


def test_r_app_6_chat_posts_are_streamed() -> None:
    """R-APP-6: POST proxies stream (ResponseTransferMode STREAM) so chat tokens flow as they come."""
    for p, verb, props in methods():
        if p.endswith("{proxy+}") and verb == "POST":
            assert props["Integration"]["ResponseTransferMode"] == "STREAM"


def test_r_auth_6_cognito_authorizer_on_every_route_except_cors_preflight() -> None:
    """R-AUTH-6: every method uses the Cognito authorizer; only OPTIONS (preflight, MOCK) is open; every route has one."""
    (authorizer,) = resources(template(API), "AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    with_methods = set()
    preflights = set()
    for p, verb, props in methods():
        if verb == "OPTIONS":
            assert props["AuthorizationType"] == "NONE" and props["Integration"]["Type"] == "MOCK"
            preflights.add(p)
        else:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", (p, verb)
            assert props["AuthorizerId"] == {"Ref": "CognitoAuthorizer"}
            assert "AuthorizationScopes" not in props  # ID tokens are accepted only without scopes
            with_methods.add(p)
    assert preflights == with_methods


def test_stage_has_throttling_access_log_and_metrics() -> None:
    """R-OPS-4: the stage throttles every method, writes a JSON access log and publishes metrics."""
    (stage,) = resources(template(API), "AWS::ApiGateway::Stage").values()
    (setting,) = stage["Properties"]["MethodSettings"]
    assert setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"
    assert setting["MetricsEnabled"] is True and "ThrottlingRateLimit" in setting and "ThrottlingBurstLimit" in setting
    # The access log is optional (issue 20): ApiGatewayAccount with LabRole could roll back the whole
    # stack if LabRole does not trust API Gateway, so both are off unless AccessLog=on.
    condition, on, off = stage["Properties"]["AccessLogSetting"]["Fn::If"]
    assert condition == "WritesAccessLog" and off == {"Ref": "AWS::NoValue"}
    assert on["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]} and on["Format"].startswith("{")
    doc = template(API)
    assert doc["Parameters"]["AccessLog"]["Default"] == "off"
    for logical in ("ApiGatewayAccount", "AccessLogGroup"):
        assert doc["Resources"][logical]["Condition"] == "WritesAccessLog", logical
    assert "ApiGatewayAccount" not in stage.get("DependsOn", [])  # a DependsOn on it fails when it is off


def test_r_fn_1_r_fn_2_functions_on_provided_al2023_with_db_variables_from_secrets_manager() -> None:
    """R-FN-1/2, R-OPS-2: provided.al2023, LabRole, code from the artefact bucket, DB_* with credentials from Secrets Manager
    (the API's functions from the least-privilege role's secret, the database owner from the master secret; issue 19)."""
    functions = resources(template(API), "AWS::Lambda::Function")
    assert set(functions) == {"ConversationsFunction", "TutorFunction", "OwnerFunction"}
    for logical, fn in functions.items():
        props = fn["Properties"]
        assert props["Runtime"] == "provided.al2023" and props["Handler"] == "bootstrap"
        assert props["Role"]["Fn::Sub"].endswith(":role/${LabRoleName}")
        assert props["Code"]["S3Bucket"] == {"Ref": "ArtefactBucket"}
        env = props["Environment"]["Variables"]
        assert {"DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME"} <= set(env)
        secret = "DatabaseSecretArn" if logical == "OwnerFunction" else "FunctionsDatabaseSecretArn"
        for key in ("DB_USER", "DB_PASSWORD"):
            assert env[key]["Fn::Sub"].startswith(f"{{{{resolve:secretsmanager:${{{secret}}}:SecretString:")
        assert props["VpcConfig"]["SecurityGroupIds"] == [{"Ref": "DatabaseSecurityGroupId"}]
    assert template(API)["Parameters"]["LabRoleName"]["Default"] == "LabRole"


def test_r_auth_1_to_5_user_pool_and_public_client() -> None:
    """R-AUTH-1..5: email sign-in, self sign-up (no temporary passwords), MFA off, name+email required, no secret, password+refresh flows."""
    doc = template("us-east-1/auth.yaml")
    (pool,) = resources(doc, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["UsernameAttributes"] == ["email"]  # R-AUTH-1
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # R-AUTH-2
    assert props["MfaConfiguration"] == "OFF"  # R-AUTH-3
    required = {a["Name"] for a in props["Schema"] if a.get("Required")}
    assert required == {"name", "email"}  # R-AUTH-4
    assert props["AutoVerifiedAttributes"] == ["email"]  # R-AUTH-7: confirm by code (or an operator)
    (client,) = resources(doc, "AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["GenerateSecret"] is False
    assert set(client["Properties"]["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}  # R-AUTH-5


def test_r_db_1_r_db_3_postgres_private_encrypted_backed_up_tls_enforced() -> None:
    """R-DB-1/3: PostgreSQL (pgvector), not public, encrypted, automated backups, rds.force_ssl=1, generated secret."""
    doc = template("us-east-1/database.yaml")
    (db,) = resources(doc, "AWS::RDS::DBInstance").values()
    props = db["Properties"]
    assert props["Engine"] == "postgres"
    assert props["PubliclyAccessible"] is False and props["StorageEncrypted"] is True
    assert doc["Parameters"]["BackupRetentionDays"]["Default"] >= 1 and props["BackupRetentionPeriod"] == {"Ref": "BackupRetentionDays"}
    assert props["MasterUserPassword"]["Fn::Sub"].startswith("{{resolve:secretsmanager:")
    (group,) = resources(doc, "AWS::RDS::DBParameterGroup").values()
    assert group["Properties"]["Parameters"]["rds.force_ssl"] == "1"
    secrets = resources(doc, "AWS::SecretsManager::Secret").values()
    assert len(secrets) == 2  # the master's and the functions' role's (issue 19)
    assert all("GenerateSecretString" in secret["Properties"] for secret in secrets)
    assert props["VPCSecurityGroups"] == [{"Ref": "DatabaseSecurityGroupId"}]


def test_r_web_1_amplify_app_without_repository_for_manual_deployment() -> None:
    """R-WEB-1: Amplify Hosting, no repository or Git token (manual deployments), no auto build."""
    doc = template("us-east-1/web.yaml")
    (app,) = resources(doc, "AWS::Amplify::App").values()
    assert not {"Repository", "AccessToken", "OauthToken", "EnvironmentVariables"} & set(app["Properties"])
    (branch,) = resources(doc, "AWS::Amplify::Branch").values()
    assert branch["Properties"]["EnableAutoBuild"] is False
