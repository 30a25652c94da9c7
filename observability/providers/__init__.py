"""The providers, one package each (otel, xray, cloudwatch, rollbar), each one Provider class in
its __init__ with the modules only it needs beside it. `registry` finds them by identifier and
imports one only when it is asked for, so a provider that is off loads nothing."""
