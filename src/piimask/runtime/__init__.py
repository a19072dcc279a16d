"""What a user deploys: the tagger, the Masker, the LLM client, the Lambda handler, the demo.

Imports only ``piimask.core`` (tests/test_layers.py): masking does not drag in the lab."""
