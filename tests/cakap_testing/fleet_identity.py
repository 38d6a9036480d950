"""Users of the development identity provider, through the same client code a Cognito user pool
takes: boto3's `cognito-idp` client pointed at the edge (R-AUTH-1..7)."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config
from .fleet_process import Fleet, cakap_bin

PASSWORD = "Cakap-Test-7!"  # upper, lower, digit, symbol, ≥ 8 characters


@dataclass
class DevUser:
    email: str
    password: str
    name: str
    id_token: str = ""
    access_token: str = ""
    refresh_token: str = ""


class IdentityProvider:
    """The fleet's identity provider as boto3 sees it, plus the operator's `cakap users confirm`."""

    def __init__(self, fleet: Fleet) -> None:
        identity = fleet.state["identity"]
        self.endpoint = identity["endpoint"]
        self.pool_id = identity["poolId"]
        self.client_id = identity["clientId"]
        self.jwks_url = identity["jwks"]
        self.data_directory = identity["dataDirectory"]
        self.client = boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=identity.get("region", "us-east-1"),
            aws_access_key_id="cakap-test",
            aws_secret_access_key="cakap-test",
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 1, "mode": "standard"}),
        )

    def new_user(self, label: str, password: str = PASSWORD) -> DevUser:
        """A user nobody has signed up yet (unique email)."""
        return DevUser(f"{label}-{uuid.uuid4().hex[:10]}@example.com", password, f"Learner {label.title()}")

    def sign_up(self, user: DevUser, with_name: bool = True) -> dict:
        attributes = [{"Name": "email", "Value": user.email}]
        if with_name:
            attributes.append({"Name": "name", "Value": user.name})
        return self.client.sign_up(
            ClientId=self.client_id, Username=user.email, Password=user.password, UserAttributes=attributes
        )

    def confirm(self, email: str) -> None:
        """`cakap users confirm EMAIL --data DIR`: the operator's confirmation (R-AUTH-7)."""
        command = [str(cakap_bin()), "users", "confirm", email, "--data", self.data_directory]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` exited with {result.returncode}\n{result.stdout}\n{result.stderr}",
                pytrace=False,
            )

    def sign_in(self, user: DevUser) -> DevUser:
        """USER_PASSWORD_AUTH (R-AUTH-5); keeps the three tokens on `user`."""
        result = self.client.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.email, "PASSWORD": user.password},
            ClientId=self.client_id,
        )["AuthenticationResult"]
        user.id_token = result["IdToken"]
        user.access_token = result.get("AccessToken", "")
        user.refresh_token = result.get("RefreshToken", "")
        return user

    def refresh(self, user: DevUser) -> dict:
        """REFRESH_TOKEN_AUTH (R-AUTH-5): the new tokens."""
        return self.client.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": user.refresh_token},
            ClientId=self.client_id,
        )["AuthenticationResult"]

    def register(self, label: str) -> DevUser:
        """Sign up, operator-confirm, sign in: a user holding an ID token."""
        user = self.new_user(label)
        self.sign_up(user)
        self.confirm(user.email)
        return self.sign_in(user)
