# A worker's task count follows its backlog: target tracking on messages visible in its
# queue per running task (metric math), between min_capacity and max_capacity.

locals {
  scaling_count = var.queue_autoscaling == null ? 0 : 1
  cluster_name  = element(split("/", var.cluster_arn), length(split("/", var.cluster_arn)) - 1)
}

resource "aws_appautoscaling_target" "this" {
  count = local.scaling_count

  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.queue_autoscaling.min_capacity
  max_capacity       = var.queue_autoscaling.max_capacity
}

resource "aws_appautoscaling_policy" "backlog_per_task" {
  count = local.scaling_count

  name               = "${local.full_name}-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.queue_autoscaling.messages_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    customized_metric_specification {
      metrics {
        id          = "visible"
        return_data = false

        metric_stat {
          stat = "Sum"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = var.queue_autoscaling.queue_name
            }
          }
        }
      }

      # Container Insights (enabled on the cluster) counts the service's running tasks.
      metrics {
        id          = "tasks"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = local.cluster_name
            }

            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.this.name
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_task"
        label       = "Messages visible per running task"
        expression  = "visible / tasks"
        return_data = true
      }
    }
  }
}
