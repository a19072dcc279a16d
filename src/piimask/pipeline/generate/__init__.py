"""The generate stage: prompts, strategies, backends (offline, Bedrock Converse, Bedrock batch)."""
from .backends import Backend, Request, Result
from .factory import make_backend
from .run import GenerationSummary, cost_table, generate, plans_for

__all__ = ["Backend", "Request", "Result", "make_backend", "GenerationSummary", "cost_table", "generate", "plans_for"]
