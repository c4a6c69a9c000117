"""Test-model factory: a TFLite flatbuffer writer, random int8 layer generators and a model zoo."""
