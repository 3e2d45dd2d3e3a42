"""What the tests share: loopback worlds, fakes, fault tables, fuzzing profiles, Prism, drivers."""
