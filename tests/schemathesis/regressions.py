"""What fuzzing found once, sent as it is by every `npm test` (tests/schemathesis/run.py): the
document's verdict on the body (`valid`: the schema accepts it) must be the server's, a body the
schema refuses answered 400 naming `field`, one it accepts never refused as invalid.

Each case: `name`, the `operation` (its operationId), `ids` (path parameter -> the seeded object
run.py fills it with: site, victim, connection, api_key), the JSON `body`, `valid` and, for an
invalid body, the `field` the server names. Add one for each finding of `npm run fuzz`.
"""

CASES = [
    {
        # A clean machine's schemathesis (a newer hypothesis) sent a scope holding U+E002A, a
        # language tag character: the server refused it (format character) while the Label
        # pattern listed only the format characters of the Basic Multilingual Plane.
        "name": "a scope holding a language tag character (U+E002A)",
        "operation": "updateApiKey",
        "ids": {"id": "api_key"},
        "body": {"scopes": ["read\U000E002A"]},
        "valid": False,
        "field": "scopes[0]",
    },
    {
        "name": "a name holding a musical format character (U+1D173)",
        "operation": "createApiKey",
        "ids": {},
        "body": {"name": "a\U0001D173", "subject": "s"},
        "valid": False,
        "field": "name",
    },
    {
        # The other side of the same rule: letters beyond the Basic Multilingual Plane are fine.
        "name": "a scope of letters beyond the Basic Multilingual Plane",
        "operation": "updateApiKey",
        "ids": {"id": "api_key"},
        "body": {"scopes": ["\U0001D400\U00020000"]},
        "valid": True,
    },
    {
        # The server counted a presented secret's bytes (at most 512) where the document's
        # maxLength counts characters: 300 two-byte letters were schema-valid and refused.
        "name": "a presented secret of 300 two-byte characters",
        "operation": "verifyApiKey",
        "ids": {},
        "body": {"secret": "\u00e9" * 300},
        "valid": True,
    },
]
