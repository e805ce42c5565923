"""Sample replies shared by the editor tests (pre-commit, service)."""

CLEAN_REPLY = """Hi Priya,

We set up a two-node cluster on APIM 4.2.0 with update level 45 and replayed your token refresh request. The refresh failed on node 2 because its clock was four minutes behind node 1, so the new token was rejected as not yet valid.

Next, we will confirm the fix on a copy of your deployment.toml and send you the result by Friday 17:00 UTC.

Best regards,
Sam
"""
