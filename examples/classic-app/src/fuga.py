"""fuga: same layer, another function; shows both share one LayerVersion."""
import json

import requests


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "function": "fuga",
                "requests": requests.__version__,
                "userAgent": requests.utils.default_user_agent(),
            }
        ),
    }
