import pytest

from longcut.errors import InputError
from longcut.models.backends import registry
from longcut.models.backends.base import VideoModel


def test_custom_backend_by_module_and_class():
    registry.load_backend.cache_clear()
    model = registry.load_backend("tests.fakes:WorldOracleModel")
    assert isinstance(model, VideoModel) and model.info.name == "oracle"


@pytest.mark.parametrize("name, needle", [
    ("nope", "unknown model 'nope'"),
    ("os:no_such_thing", "cannot load custom backend"),
    ("os:path", "cannot construct custom backend"),
    ("collections:OrderedDict", "does not implement the VideoModel protocol"),
    ("rm -rf /", "unknown model"),
])
def test_bad_backend_names(name, needle):
    registry.load_backend.cache_clear()
    with pytest.raises(InputError, match=needle):
        registry.load_backend(name)
