"""The generate stage: prompts, strategies, backends (offline, Bedrock Converse, Bedrock batch)."""

from .aws import AwsSetupError
from .backends import Backend, Request, Result
from .factory import make_backend
from .run import GenerationFailed, GenerationSummary, cost_table, generate, plans_for

__all__ = [
    "AwsSetupError",
    "Backend",
    "Request",
    "Result",
    "make_backend",
    "GenerationFailed",
    "GenerationSummary",
    "cost_table",
    "generate",
    "plans_for",
]
