"""Training-framework configs (axolotl, LLaMA-Factory) read as the LoRA setup the framework would build.

Torch-free: these modules parse YAML and apply each framework's own defaults and spelling rules; the
loader in ``lora_lint.sources.framework_config`` builds the base and hands the result to the rules.
"""
