"""Offline mode: answer a workflow's requests from its OpenAPI descriptions.

Beside the engine, never under it: the engine does not import this package;
:class:`arazzo_runner.Runner` hands it the document and gets an
``httpx.AsyncClient`` back (``mock=True``), and ``arazzo-runner mock`` serves
the same responses over HTTP. See docs/mock.md.
"""

from .credentials import placeholder_credentials
from .inputs import complete_inputs, generate_inputs
from .responder import MockExchange, MockResponder, MockResponse
from .scenario import Override, Scenario, ScenarioError, load_scenario
from .server import make_server
from .transport import MockTransport, mock_client, mock_servers

__all__ = [
    "MockExchange",
    "MockResponder",
    "MockResponse",
    "MockTransport",
    "Override",
    "Scenario",
    "ScenarioError",
    "complete_inputs",
    "generate_inputs",
    "load_scenario",
    "make_server",
    "mock_client",
    "mock_servers",
    "placeholder_credentials",
]
