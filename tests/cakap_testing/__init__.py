"""What the Python test tiers share: running `cakap up` and its processes (fleet_process,
fleet_os), the development identity provider's users (fleet_identity), JWT and metrics wire
helpers (fleet_wire), the local model registry (registry) and the brief's reference client's
calls (reference_calls), and the Lambda Runtime API emulator the conversations and
rehearsal tiers run the functions' zips under (lambda_runtime_emulator). On the path through the repository's pytest.ini (`pythonpath = tests`),
so a tier imports `cakap_testing.<module>` instead of editing sys.path."""
