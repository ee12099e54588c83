"""Domain errors become the API's faults in one place; one authentication guards every procedure."""

from __future__ import annotations

import pytest

from accounts.rpc_auth import rpc_user
from astitray.faults import DOMAIN_FAULTS, fault_for
from astitray.rpc import server
from dialer import errors
from dialer.rewrite import RewriteError


def _subclasses(cls: type[errors.DialError]) -> set[type[errors.DialError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


DIAL_ERRORS = sorted(_subclasses(errors.DialError), key=lambda cls: cls.__name__)


@pytest.mark.parametrize("error", DIAL_ERRORS, ids=[cls.__name__ for cls in DIAL_ERRORS])
def test_it_answers_every_dialer_error_with_a_fault_carrying_its_message(error):
    exc = error("One sentence for a person.")
    fault = fault_for(exc)
    assert fault is not None, error
    assert fault.message == exc.message


def test_it_maps_each_dialer_error_to_its_api_code():
    codes = {cls.__name__: fault.code for cls, fault in DOMAIN_FAULTS.items()}
    assert codes == {
        "NoExtension": -32089,
        "InvalidNumber": -32088,
        "NumberNotAllowed": -32087,
        "RateLimited": -32086,
        "PbxUnreachable": -32085,
        "PbxRefused": -32084,
        "CallNotFound": -32083,
        "PhoneUnavailable": -32082,
    }
    fault = fault_for(RewriteError("No phone number was found in that text."))
    assert fault is not None and fault.code == -32088


def test_it_leaves_other_exceptions_alone():
    assert fault_for(ValueError("a bug")) is None
    assert fault_for(errors.DialError()) is None  # the base is never raised: no fault chosen for it


def test_it_guards_every_procedure_but_system_ones_with_the_one_authentication():
    assert server.auth is rpc_user
    for name, wrapper in server.procedures.items():
        if name.startswith("system."):
            assert wrapper.auth is None, name
        else:
            assert wrapper.auth is rpc_user, name
