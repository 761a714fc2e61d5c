locals {
  alb_count = var.load_balancer == null ? 0 : 1
}

# 5xx answers (the tasks' and the ALB's own) as a share of all requests.
resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  count = local.alb_count

  alarm_name          = "${var.name_prefix}-api-5xx-rate"
  alarm_description   = "Over ${var.max_5xx_percent} % of API requests ended in a 5xx."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(alb5xx, 0)) / requests"
    label       = "5xx percent"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = {
      requests  = "RequestCount"
      target5xx = "HTTPCode_Target_5XX_Count"
      alb5xx    = "HTTPCode_ELB_5XX_Count"
    }

    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        dimensions  = { LoadBalancer = var.load_balancer.arn_suffix }
        stat        = "Sum"
        period      = 300
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  count = local.alb_count

  alarm_name          = "${var.name_prefix}-api-unhealthy-hosts"
  alarm_description   = "A producer task fails the load balancer's /health check."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.load_balancer.arn_suffix, TargetGroup = var.load_balancer.target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
