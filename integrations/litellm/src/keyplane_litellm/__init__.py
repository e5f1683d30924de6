"""keyplane for LiteLLM's proxy: ``custom_auth`` (keys, IAM rules, limits) and a usage callback.

In LiteLLM's config.yaml::

    general_settings: {custom_auth: keyplane_litellm.user_api_key_auth}
    litellm_settings: {callbacks: keyplane_litellm.usage_logger}
"""
from keyplane_litellm.auth import user_api_key_auth
from keyplane_litellm.usage import make_logger, reporter

usage_logger = make_logger(reporter)

__all__ = ["user_api_key_auth", "usage_logger", "reporter"]
