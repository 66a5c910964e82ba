"""``arazzo-runner serve``: Arazzo workflows as tools for agents, over the Model Context Protocol.

Every exposed workflow becomes one MCP tool whose arguments are the workflow's
inputs; credentials, server URLs, secret inputs and limits stay with the
operator (:class:`ServeConfig`). Needs the ``mcp`` extra:
``pip install 'arazzo-runner[mcp]'``.

    config = ServeConfig(specs=["wf.arazzo.yaml"], credentials={"basicAuth": ("id", "secret")})
    asyncio.run(serve_stdio(WorkflowServer(config)))
"""

from .config import ConfigError, ServeConfig
from .server import WorkflowServer
from .transport import serve_http, serve_stdio

__all__ = ["ConfigError", "ServeConfig", "WorkflowServer", "serve_http", "serve_stdio"]
