"""Least privilege, checked: the AWS calls a service makes (`calls`), what IAM asks of
each one (`requests`), a policy evaluator (`policy`) and the form of a policy that
moto server can enforce (`moto_view`). Development and tests only."""
