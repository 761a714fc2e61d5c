# How envs/aws wires the modules, checked offline against a mocked AWS provider
# (`terraform test`, run by scripts/terraform-check): which service gets which secrets,
# load balancer and autoscaling, and that no secret value is in the plain environment.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  # Resources check that policies are JSON; the documents' content is not the point here.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  # Arguments that other resources check to be ARNs get ARN-shaped values.
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:topic" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:queue" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/k" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/r" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/r" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:g" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::b" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t" }
  }
  mock_resource "aws_ses_email_identity" {
    defaults = { arn = "arn:aws:ses:us-east-1:123456789012:identity/i" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/t:1" }
  }
  mock_resource "aws_lb" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/1" }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/1" }
  }
}

override_resource {
  target = module.database.aws_db_instance.this
  values = {
    address  = "conveyor.abc.us-east-1.rds.amazonaws.com"
    port     = 5432
    db_name  = "conveyor"
    username = "conveyor"
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
      kms_key_id    = "arn:aws:kms:us-east-1:123456789012:key/db"
      secret_status = "active"
    }]
  }
}

override_resource {
  target = aws_ecs_cluster.main
  values = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/conveyor" }
}

variables {
  vpc_id              = "vpc-0123"
  private_subnet_ids  = ["subnet-a", "subnet-b"]
  public_subnet_ids   = ["subnet-c", "subnet-d"]
  certificate_arn     = "arn:aws:acm:us-east-1:123456789012:certificate/api"
  api_public_url      = "https://api.acme.example"
  exports_bucket_name = "acme-conveyor-exports"
  uploads_bucket_name = "acme-conveyor-uploads"
  logs_bucket_name    = "acme-conveyor-access-logs"
  ses_sender          = "no-reply@acme.example"
  image_tag           = "1.0.0"
  jwt_secret_arn      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:conveyor/jwt-AbCdEf"
}

run "secrets_come_from_secrets_manager_only" {
  command = apply

  assert {
    condition     = local.services.producer.environment.DATABASE_URL == "postgresql://conveyor@conveyor.abc.us-east-1.rds.amazonaws.com:5432/conveyor?sslmode=require"
    error_message = "The database URL carries no password and requires TLS."
  }

  assert {
    condition     = local.services.producer.secrets.PGPASSWORD == { arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf", key = "password" }
    error_message = "The producer reads the password RDS keeps."
  }

  assert {
    condition     = local.services.producer.secrets.JWT_SECRET.arn == var.jwt_secret_arn
    error_message = "The producer reads the token secret from its ARN."
  }

  assert {
    condition     = keys(local.services.processor.secrets) == ["PGPASSWORD"] && length(local.services.notifier.secrets) == 0
    error_message = "The processor gets the database password only, the notifier no secret."
  }

  assert {
    condition = alltrue([
      for svc in values(local.services) : length(setintersection(keys(svc.environment), ["PGPASSWORD", "JWT_SECRET"])) == 0
    ])
    error_message = "No secret is in a plain environment."
  }

  assert {
    condition     = !contains(keys(local.services.notifier.environment), "DATABASE_URL")
    error_message = "The notifier has no database."
  }
}

run "the_api_gets_the_load_balancer_and_the_workers_scale" {
  command = apply

  assert {
    condition     = module.service["producer"].load_balancer_arn_suffix != null && module.service["processor"].load_balancer_arn_suffix == null && module.service["notifier"].load_balancer_arn_suffix == null
    error_message = "Only the producer has a load balancer."
  }

  assert {
    condition     = module.service["producer"].scaling_policy_arn == null && module.service["processor"].scaling_policy_arn != null && module.service["notifier"].scaling_policy_arn != null
    error_message = "The workers follow their queue depth; the API does not."
  }

  assert {
    condition     = local.services.processor.init_container.command == ["python", "-m", "conveyor_processor.migrate"]
    error_message = "The processor migrates before its worker starts."
  }

  assert {
    condition     = alltrue([for s in keys(local.services) : module.service[s].task_role_policy_json == module.platform.task_role_policies[s]])
    error_message = "Each task role carries exactly the policy modules/task_policies builds for it."
  }
}

run "no_one_scrapes_metrics_unless_named" {
  command = plan

  assert {
    condition     = alltrue([for s in keys(local.services) : length(module.service[s].scraper_ingress_ports) == 0])
    error_message = "Without scrapers named, no service's port is open to anything but its load balancer."
  }
}

run "named_scrapers_reach_each_services_metrics_port" {
  command = apply

  variables {
    metrics_scraper_security_group_ids = ["sg-0prometheus"]
  }

  assert {
    condition     = module.service["producer"].scraper_ingress_ports == { "sg-0prometheus" = 8000 }
    error_message = "The scraper reaches the producer's /metrics on its API port."
  }

  assert {
    condition     = module.service["processor"].scraper_ingress_ports == { "sg-0prometheus" = 9101 } && module.service["notifier"].scraper_ingress_ports == { "sg-0prometheus" = 9102 }
    error_message = "The scraper reaches each worker's METRICS_PORT."
  }
}

run "a_key_set_and_a_secret_are_not_both_taken" {
  command = plan

  variables {
    jwks_url = "https://idp.example.com/.well-known/jwks.json"
  }

  expect_failures = [var.jwks_url]
}
