"""keyplane for LiteLLM's proxy: ``custom_auth`` (keys, IAM rules, limits) and a usage callback.

In LiteLLM's config.yaml::

    general_settings: {custom_auth: keyplane_litellm.user_api_key_auth}
    litellm_settings: {callbacks: keyplane_litellm.usage_logger}
"""
from keyplane_litellm.auth import user_api_key_auth
from keyplane_litellm.usage import make_logger, reporter

__all__ = ["user_api_key_auth", "usage_logger", "reporter"]
_logger = None


def __getattr__(name: str):
    """``usage_logger`` is made on first use: it subclasses LiteLLM's CustomLogger, which exists
    only in LiteLLM's environment (the pure parts, such as money, import without it)."""
    global _logger
    if name == "usage_logger":
        if _logger is None:
            _logger = make_logger(reporter)
        return _logger
    raise AttributeError(name)
